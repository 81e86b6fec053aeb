"""Fixed vocabularies shared by the API, the database and the sample data.

They are closed sets on purpose: filters, match-list scopes and the ranker's features compare these
values exactly, so free text here would silently split one meaning into many spellings.
"""

from enum import StrEnum


class CooperationMode(StrEnum):
    """How a college and an enterprise work together."""

    ORDER_CLASS = "order_class"  # 订单班: a class trained to one employer's order
    INTERNSHIP = "internship"  # 顶岗实习 / 跟岗实习
    APPRENTICESHIP = "apprenticeship"  # 现代学徒制
    TRAINING_BASE = "training_base"  # joint (on-campus or in-plant) training base
    TEACHER_TRAINING = "teacher_training"  # teachers placed in the enterprise
    JOINT_RESEARCH = "joint_research"  # applied research and technical services
    SHORT_COURSE = "short_course"  # short vocational courses for employees
    EMPLOYMENT = "employment"  # plain graduate recruitment


class CollegeKind(StrEnum):
    HIGHER_VOCATIONAL = "higher_vocational"  # 高职专科
    SECONDARY_VOCATIONAL = "secondary_vocational"  # 中职
    TECHNICAL_SCHOOL = "technical_school"  # 技工学校 / 技师学院
    UNIVERSITY = "university"


class EnterpriseSize(StrEnum):
    """Employee bands, as in China's SME classification for industry."""

    MICRO = "micro"  # fewer than 20 employees
    SMALL = "small"  # 20 to 299
    MEDIUM = "medium"  # 300 to 999
    LARGE = "large"  # 1,000 or more


class GapLevel(StrEnum):
    """The job level a talent gap hires for."""

    OPERATOR = "operator"
    TECHNICIAN = "technician"
    SENIOR_TECHNICIAN = "senior_technician"
    ENGINEER = "engineer"
    MANAGER = "manager"


class Role(StrEnum):
    ADMIN = "admin"
    PROGRAM_MANAGER = "program_manager"
    COLLEGE = "college"
    ENTERPRISE = "enterprise"


class Side(StrEnum):
    COLLEGES = "colleges"
    ENTERPRISES = "enterprises"


class FileSide(StrEnum):
    """What a bulk file (`/import`, `/export`, `matchmaker import/export`) holds."""

    COLLEGES = "colleges"
    ENTERPRISES = "enterprises"
    PARTNERSHIPS = "partnerships"
