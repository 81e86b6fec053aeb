"""The closed vocabularies of outcomes: ties, feedback actions and dismissal reasons, impression kinds."""

from enum import StrEnum


class Tie(StrEnum):
    FORMAL = "formal"  # a signed agreement, an order class, a joint base: on record
    SOFT = "soft"  # reported cooperation without a formal agreement (visits, donations, events)


class FeedbackAction(StrEnum):
    SHORTLISTED = "shortlisted"
    CONTACTED = "contacted"
    DISMISSED = "dismissed"


class DismissReason(StrEnum):
    """Why a suggestion was dismissed; required with `dismissed`, refused with the other actions."""

    TOO_FAR = "too_far"
    WRONG_FIELD = "wrong_field"
    TOO_SMALL = "too_small"
    ALREADY_PARTNER = "already_partner"
    OTHER = "other"


class AskerSide(StrEnum):
    """Who was shown the suggestion."""

    ENTERPRISE = "enterprise"
    COLLEGE = "college"


class ImpressionKind(StrEnum):
    ENTERPRISE_MATCHES = "enterprise_matches"
    COLLEGE_MATCHES = "college_matches"
    SEARCH = "search"
    MATCH_LIST = "match_list"
