"""The `matchmaker` command: a thin typer shell over the domain's plain functions."""

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from sqlalchemy.orm import Session

from embeddings.encoder import Encoder, ModelError, load_encoder
from embeddings.index import configure_threads
from matching import keys as key_store
from matching import transfer
from matching.db import current_revision, head_revision, make_engine, make_sessionmaker, upgrade
from matching.embedding import Embedder
from matching.errors import DomainError
from matching.live import LiveIndex
from matching.outcomes import impressions as impression_log
from matching.outcomes import transfer as partnership_files
from matching.progress import ProgressFactory
from matching.rankers import HAND, RankerStore
from matching.reference import Reference
from matching.sides import SIDES
from matching.vocab import FileSide, Role, Side
from service.bootstrap import bootstrap
from service.progress import progress
from service.settings import get_settings

app = typer.Typer(help="matchmaker: match vocational colleges with enterprises.", no_args_is_help=True,
                  rich_markup_mode="markdown")
db_app = typer.Typer(help="Database schema (Alembic migrations).", no_args_is_help=True)
keys_app = typer.Typer(help="API keys.", no_args_is_help=True)
lists_app = typer.Typer(help="Match lists (capacity-aware allocations of graduates to talent gaps).",
                        no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(keys_app, name="keys")
impressions_app = typer.Typer(help="Impressions: the pages of suggestions served, logged for training.",
                              no_args_is_help=True)
app.add_typer(lists_app, name="lists")
ranker_app = typer.Typer(help="Ranker models: list, activate, roll back (the running service follows).",
                         no_args_is_help=True)
app.add_typer(ranker_app, name="ranker")
app.add_typer(impressions_app, name="impressions")
out = Console()
err = Console(stderr=True)

Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")]


@contextmanager
def _domain_errors() -> Iterator[None]:
    """Print a domain error's problems for people and exit 1, instead of a traceback."""
    try:
        yield
    except DomainError as exc:
        err.print(f"[red]error:[/red] {exc.detail}")
        for p in exc.problems[:50]:
            where = f"line {p.line}: " if p.line is not None else ""
            err.print(f"  {where}{p.field}: {p.reason}")
        if len(exc.problems) > 50:
            err.print(f"  … and {len(exc.problems) - 50} more")
        raise typer.Exit(1) from exc


@contextmanager
def _session() -> Iterator[Session]:
    engine = make_engine(get_settings().db_url)
    try:
        upgrade(engine)
        with _domain_errors(), make_sessionmaker(engine)() as session:
            yield session
    finally:
        engine.dispose()


def _encoder(name: str, batch_size: int) -> Encoder:
    try:
        return load_encoder(name, batch_size)
    except ModelError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from exc


def _live(encoder: Encoder, save: bool = True) -> LiveIndex:
    settings = get_settings()
    configure_threads(settings.faiss_threads)
    embedder = Embedder(encoder, Reference.load(settings.data_dir).catalogue)
    return LiveIndex(embedder, settings.index_path if save else None, settings.index_factory, settings.index_nprobe)


def _bars(quiet: bool) -> ProgressFactory:
    return lambda description, total: progress(description, total, quiet=quiet)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Default: MATCH_HOST or 127.0.0.1.")] = None,
    port: Annotated[int | None, typer.Option(help="Default: MATCH_PORT or 8000.")] = None,
    sample: Annotated[bool, typer.Option(help="Load the bundled sample into an empty database.")] = True,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Server processes sharing the port; each loads "
                                         "the model and both indexes, and follows the others' writes.")] = 1,
    quiet: Quiet = False,
) -> None:
    """Upgrade the database, load the sample if empty, make sure an admin key exists, and serve.

    Example: `matchmaker serve --port 8080 --workers 2`
    """
    import uvicorn

    from service.app import create_app
    from service.http import Utf8TargetHttpToolsProtocol

    settings = get_settings()
    # The model first: a name no backend knows stops here, before anything is written.
    encoder = _encoder(settings.embedding_model, settings.embedding_batch_size)
    with _domain_errors():
        done = bootstrap(settings, sample=sample, progress=_bars(quiet))
        with _session() as session:
            # Here rather than in the app's start, so a first run shows bars while it embeds.
            _live(encoder).load(session, _bars(quiet))
    if done.loaded:
        out.print(f"Loaded the synthetic sample: {done.loaded['colleges']} colleges, "
                  f"{done.loaded['enterprises']} enterprises.")
    if done.new_admin_key:
        out.print(f"Created the admin API key (saved to {settings.admin_key_path}):\n  {done.new_admin_key}")
    else:
        out.print(f"Admin API key: in {settings.admin_key_path}")
    bind_host, bind_port = host or settings.host, port or settings.port
    if workers == 1:
        # Raw UTF-8 in a query (curl's `?province=新疆`) works instead of uvicorn's plain-text 400.
        uvicorn.run(create_app(settings, encoder=encoder, freeze_heap=True), host=bind_host, port=bind_port,
                    http=Utf8TargetHttpToolsProtocol, access_log=settings.access_log)
        return
    # Each worker is a new process (spawned) that builds its app from the same MATCH_* environment and
    # loads the index saved just above; this process only supervises them.
    del encoder
    uvicorn.run("service.app:serving_app", factory=True, workers=workers, host=bind_host, port=bind_port,
                http=Utf8TargetHttpToolsProtocol, access_log=settings.access_log)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create the database or bring it to the latest schema.

    Example: `MATCH_DATABASE_URL=postgresql+psycopg://127.0.0.1/test matchmaker db upgrade`
    """
    engine = make_engine(get_settings().db_url)
    upgrade(engine)
    out.print(f"Database at revision {current_revision(engine)} (head {head_revision()}).")
    engine.dispose()


@app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="A .jsonl or .csv file.")],
    side: Annotated[FileSide | None, typer.Option(help="colleges, enterprises or partnerships; default: from the "
                                                       "file name.")] = None,
    format: Annotated[str | None, typer.Option(help="jsonl or csv; default: from the extension.")] = None,
    partial: Annotated[bool, typer.Option(help="Write the good rows, report the rest.")] = False,
    quiet: Quiet = False,
) -> None:
    """Import profiles or partnerships; nothing is written if any row is bad (unless --partial).

    Example: `matchmaker import data/sample/enterprises.jsonl`, `matchmaker import --side partnerships p.csv`
    """
    side = side or _side_from_name(file)
    fmt = format or file.suffix.lstrip(".").lower().replace("ndjson", "jsonl")
    settings = get_settings()
    if side == FileSide.PARTNERSHIPS:
        with _session() as session:
            report = partnership_files.import_text(session, file.read_text(encoding="utf-8-sig"), fmt,
                                                   "command line", partial=partial)
        out.print(f"{report.created} of {report.rows} partnerships imported, {report.rejected} rejected.")
        for p in report.errors[:50]:
            out.print(f"  line {p.line}: {p.field}: {p.reason}")
        return
    # Units are embedded as they are written; a running server notices the new index version and reloads.
    live = _live(_encoder(settings.embedding_model, settings.embedding_batch_size), save=False)
    with _session() as session:
        report = transfer.import_text(
            session, SIDES[Side(side)], file.read_text(encoding="utf-8-sig"), fmt,
            Reference.load(settings.data_dir), partial=partial, progress=_bars(quiet), live=live,
        )
    out.print(f"{report.created} of {report.rows} {side} imported, {report.rejected} rejected.")
    for p in [*report.errors, *report.warnings][:50]:
        out.print(f"  line {p.line}: {p.field}: {p.reason}")


@app.command()
def reindex(
    re_embed: Annotated[bool, typer.Option(help="Encode every unit again (after changing the model's "
                                                "files in place); by default only missing or stale vectors.")] = False,
    quiet: Quiet = False,
) -> None:
    """Rebuild both FAISS indexes from the vectors stored in the database, and save them.

    Example: `MATCH_INDEX_FACTORY="IVF1024,Flat" matchmaker reindex`
    """
    settings = get_settings()
    live = _live(_encoder(settings.embedding_model, settings.embedding_batch_size))
    started = time.perf_counter()
    with _session() as session:
        count = live.reindex(session, _bars(quiet), re_embed=re_embed)
        live.save(session)
    out.print(f"Indexed {count} units with {settings.embedding_model} ({settings.index_factory}) "
              f"in {time.perf_counter() - started:.1f} s; saved to {settings.index_path}.")


def _side_from_name(file: Path) -> FileSide:
    name = file.name.lower()
    for side in FileSide:
        if side.value[:6] in name:
            return side
    err.print("[red]error:[/red] say what the file holds: --side colleges, enterprises or partnerships")
    raise typer.Exit(2)


@app.command()
def export(
    side: Annotated[FileSide, typer.Option(help="colleges, enterprises or partnerships.")],
    format: Annotated[str, typer.Option(help="jsonl or csv.")] = "jsonl",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Default: stdout.")] = None,
) -> None:
    """Write every profile of one side (or every partnership), in a form `matchmaker import` takes back.

    Example: `matchmaker export --side colleges --format csv -o colleges.csv`
    """
    if format not in transfer.FORMATS:
        err.print(f"[red]error:[/red] --format must be one of {', '.join(transfer.FORMATS)}")
        raise typer.Exit(2)
    with _session() as session:
        if side == FileSide.PARTNERSHIPS:
            rows = partnership_files.records(session)
            chunks = partnership_files.to_jsonl(rows) if format == "jsonl" else partnership_files.to_csv(rows)
        else:
            spec = SIDES[Side(side)]
            records = transfer.records(session, spec)
            chunks = transfer.to_jsonl(records) if format == "jsonl" else transfer.to_csv(spec, records)
        target = output.open("w", encoding="utf-8", newline="") if output else sys.stdout
        try:
            for chunk in chunks:
                target.write(chunk)
        finally:
            if output:
                target.close()


@keys_app.command("create")
def keys_create(
    role: Annotated[Role, typer.Option(help="admin, program_manager, college or enterprise.")],
    college: Annotated[int | None, typer.Option(help="The college a college key speaks for.")] = None,
    enterprise: Annotated[int | None, typer.Option(help="The enterprise an enterprise key speaks for.")] = None,
    name: Annotated[str | None, typer.Option(help="Who holds it.")] = None,
) -> None:
    """Create an API key and print it (it is shown only once).

    Example: `matchmaker keys create --role college --college 12 --name "Korla VTC office"`
    """
    with _session() as session:
        key, secret = key_store.create_key(session, role, college_id=college, enterprise_id=enterprise, name=name)
    out.print(f"key {key.id} ({key.role}): {secret}")


@keys_app.command("revoke")
def keys_revoke(key_id: Annotated[int, typer.Argument(help="The key's id (see `keys list`).")]) -> None:
    """Revoke an API key; requests with it get 401 from then on (a running server notices within
    MATCH_KEY_CACHE_SECONDS, 2 s by default; `DELETE /keys/{id}` acts at once).

    Example: `matchmaker keys revoke 3`
    """
    with _session() as session:
        key = key_store.revoke(session, key_id)
    out.print(f"key {key.id} revoked")


@keys_app.command("list")
def keys_list(
    all_: Annotated[bool, typer.Option("--all", help="Include revoked keys.")] = False,
) -> None:
    """List API keys (ids, roles, bindings; never secrets).

    Example: `matchmaker keys list --all`
    """
    with _session() as session:
        for key in key_store.list_keys(session, include_revoked=all_):
            bound = f" college={key.college_id}" if key.college_id else ""
            bound += f" enterprise={key.enterprise_id}" if key.enterprise_id else ""
            revoked = " REVOKED" if key.revoked_at else ""
            out.print(f"{key.id}\t{key.role}{bound}\t{key.prefix}…\t{key.name or ''}{revoked}")


@lists_app.command("create")
def lists_create(
    name: Annotated[str, typer.Option(help="The list's name.")],
    province: Annotated[list[str] | None, typer.Option(help="Enterprises in this province (repeatable).")] = None,
    country: Annotated[list[str] | None, typer.Option(help="Enterprises in this country (repeatable).")] = None,
    industry: Annotated[list[str] | None, typer.Option(help="Enterprises in this industry (repeatable).")] = None,
    code: Annotated[list[str] | None, typer.Option(help="Gaps asking for this catalogue code (repeatable).")] = None,
    enterprise: Annotated[list[int] | None, typer.Option(help="This enterprise's gaps (repeatable).")] = None,
    college: Annotated[list[int] | None, typer.Option(help="Only this college may fill them (repeatable).")] = None,
    min_score: Annotated[float | None, typer.Option(help="Only suggestions scoring at least this; default: "
                                                   "derived per model (see GET /info).")] = None,
    max_colleges_per_gap: Annotated[int, typer.Option(help="Colleges a gap may be split among.")] = 3,
    quiet: Quiet = False,
) -> None:
    """Build a match list here, whatever its size, and print its demand and coverage.

    Example: `matchmaker lists create --name "Xinjiang 2027" --province Xinjiang --min-score 0.4`
    """
    from pydantic import ValidationError

    from matching.lists import build, scope, store
    from matching.lists.candidates import CandidatePools
    from matching.lists.schemas import MatchListCreate
    from matching.sides import COLLEGES, ENTERPRISES

    try:
        body = MatchListCreate.model_validate({
            "name": name, "min_score": min_score, "max_colleges_per_gap": max_colleges_per_gap,
            "scope": {"provinces": province or [], "countries": country or [], "industries": industry or [],
                      "codes": code or [], "enterprise_ids": enterprise or [], "college_ids": college or []}})
    except ValidationError as exc:
        for e in exc.errors():
            err.print(f"[red]error:[/red] {'.'.join(str(p) for p in e['loc'])}: {e['msg']}")
        raise typer.Exit(2) from exc
    settings = get_settings()
    live = _live(_encoder(settings.embedding_model, settings.embedding_batch_size), save=False)
    with _session() as session:
        resolved = scope.resolve(session, body.scope)
        live.load(session, _bars(quiet))
        pools = CandidatePools(colleges=live.pool(COLLEGES), enterprises=live.pool(ENTERPRISES),
                               config=settings.ranking, exact_scan_max=settings.exact_scan_max,
                               limit=settings.match_list_candidates, gap_stats=live.pool(ENTERPRISES).stats,
                               catalogue=live.embedder.catalogue, history=live.history(session))
        lst = store.public(session, build.build_now(session, pools, build.with_min_score(body, pools.config), resolved,
                                                    "command line", _bars(quiet)))
    d = lst.demand
    out.print(f"match list {lst.id} ({lst.name}): {len(resolved.gaps)} gaps, {lst.counts.entries} entries; "
              f"{d.allocated:,} of {d.headcount:,} allocated ({d.coverage:.1%}). "
              f"See GET /match-lists/{lst.id}/report.")




def _store() -> RankerStore:
    return RankerStore(get_settings().rankers_path)


@app.command()
def train(
    dev_set: Annotated[Path | None, typer.Option(
        "--dev-set", help="Real cooperations (JSON lines, ../shared/data/partnerships_dev.jsonl) to train on.")] = None,
    folds: Annotated[int, typer.Option(min=2, max=20, help="Grouped folds (by query) for the held-out figures.")] = 5,
    version: Annotated[str | None, typer.Option(help="The model's version; default trained-<UTC time>.")] = None,
    activate: Annotated[bool, typer.Option("--activate", help="Make the new model active at once.")] = False,
    synthetic_seed: Annotated[int | None, typer.Option(
        "--synthetic-seed", help="Also train on the synthetic labelled set of this seed (11; 19, 23, 29 chose the "
        "recipe, 7, 13, 17 are held out): weights per asking side, each with its own share of the two worlds "
        "(training/served.py), so the model holds in both.")] = None,
) -> None:
    """Train a ranker on the service's outcomes (and the dev set when given), evaluate it on held-out grouped
    folds and write it under $MATCH_HOME/rankers/.

    Outcomes: partnerships, accepted or rejected match-list entries, feedback on suggestions, and the logged
    impressions (their features as served). With too few of them and no --dev-set it says so and exits 1.

    Example: matchmaker train --dev-set ../shared/data/partnerships_dev.jsonl --synthetic-seed 11 --activate
    """
    from training.train import train as run

    settings = get_settings()
    encoder = _encoder(settings.embedding_model, settings.embedding_batch_size)
    live = _live(encoder, save=False)
    with _session() as session:
        live.load(session)
        synthetic = None
        if synthetic_seed is not None:
            from training.labelled_pairs import generate_labelled

            synthetic = generate_labelled(seed=synthetic_seed)
        model = run(_store(), encoder, Reference.load(settings.data_dir), dev_set, session=session, live=live,
                    folds=folds, version=version, config=settings.ranking, synthetic=synthetic,
                    synthetic_seed=synthetic_seed, log=out.print)
        out.print(f"wrote ranker {model.version}")
        if activate:
            _store().activate(model.version)
            out.print(f"active: {model.version}")


@ranker_app.command("list")
def ranker_list() -> None:
    """Every model, oldest first; the active one is marked.

    Example: matchmaker ranker list
    """
    store = _store()
    active = store.active_version()
    out.print(f"{'*' if active == HAND else ' '} {HAND}  (hand weights)")
    for model in store.list():
        held = {(r["direction"], r["method"]): r["recall@10"] for r in model.metrics.get("held_out", [])}
        figures = ", ".join(f"{d}: {v:.3f}" for (d, m), v in held.items() if m == "trained")
        out.print(f"{'*' if model.version == active else ' '} {model.version}  {model.created_at}  "
                      f"Recall@10 {figures or '-'}")


@ranker_app.command("activate")
def ranker_activate(version: Annotated[str, typer.Argument(help="A version from `ranker list` (features-1: "
                                                                "the hand weights).")]) -> None:
    """Make a model active; the running service picks it up at its next request.

    Example: matchmaker ranker activate trained-20261207T101500
    """
    with _domain_errors():
        _store().activate(version)
    out.print(f"active: {version}")


@ranker_app.command("rollback")
def ranker_rollback() -> None:
    """Back to the model active before the current one.

    Example: matchmaker ranker rollback
    """
    with _domain_errors():
        previous = _store().rollback()
    out.print(f"active: {previous}")


@impressions_app.command("prune")
def impressions_prune(
    days: Annotated[int | None, typer.Option(help="Keep this many days; default: "
                                                 "MATCH_IMPRESSION_RETENTION_DAYS (0 keeps all).")] = None,
) -> None:
    """Delete impressions older than the retention (their items with them; feedback keeps its rows).

    Example: `matchmaker impressions prune --days 90`
    """
    keep = get_settings().impression_retention_days if days is None else days
    if keep < 0:
        err.print("[red]error:[/red] --days must be 0 or more")
        raise typer.Exit(2)
    with _session() as session:
        deleted = impression_log.prune(session, keep)
    out.print(f"Deleted {deleted} impressions older than {keep} days." if keep else
              "Retention is 0: every impression is kept.")


# Last: under `python -m service.cli` the app runs here, and a command defined below would be missing.
if __name__ == "__main__":
    app()
