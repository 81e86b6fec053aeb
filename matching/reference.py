"""Reference data loaded once at start: the specialty catalogue and the offline gazetteer."""

from dataclasses import dataclass
from pathlib import Path

from matching.geography import Gazetteer
from matching.taxonomy import Catalogue

CATALOGUE_FILE = Path("catalogue") / "vocational_specialties_2021.csv"


@dataclass(frozen=True, slots=True)
class Reference:
    catalogue: Catalogue
    gazetteer: Gazetteer

    @classmethod
    def load(cls, data_dir: Path) -> "Reference":
        return cls(catalogue=Catalogue.load(data_dir / CATALOGUE_FILE), gazetteer=Gazetteer.load())
