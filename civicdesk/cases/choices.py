from django.db import models
from django.utils.translation import gettext_lazy as _


class CaseType(models.TextChoices):
    PETITION = "petition", _("Petition (letters and visits)")
    REQUEST = "request", _("Request")
    COMPLAINT = "complaint", _("Complaint / report")
    DISPUTE = "dispute", _("Dispute")
    HAZARD = "hazard", _("Safety hazard")
    INCIDENT = "incident", _("Incident")


# Anonymous reports are allowed only where the law expects them (hazards, complaints).
ANONYMOUS_TYPES = {CaseType.COMPLAINT, CaseType.HAZARD}


class Channel(models.TextChoices):
    WALK_IN = "walk_in", _("Walk-in visit")
    PHONE = "phone", _("Phone call")
    LETTER = "letter", _("Letter")
    WEB = "web", _("Web / mobile")
    GRID = "grid", _("Grid worker report")
    INSPECTION = "inspection", _("Inspection or patrol finding")
    LEADER_ASSIGNED = "leader_assigned", _("Leader assignment")
    HIGHER_LEVEL = "higher_level", _("Transfer from a higher level")
    RECEPTION_DAY = "reception_day", _("Leader reception day")
    HOTLINE_12345 = "hotline_12345", _("12345 transfer")
    OPEN311 = "open311", _("Open311 API")


class Status(models.TextChoices):
    RECEIVED = "received", _("Received")
    ACCEPTED = "accepted", _("Accepted")
    NOT_ACCEPTED = "not_accepted", _("Not accepted")
    REDIRECTED = "redirected", _("Redirected to a legal procedure")
    DISPATCHED = "dispatched", _("Dispatched")
    RETURNED = "returned", _("Returned by the department")
    IN_PROGRESS = "in_progress", _("In progress")
    SUSPENDED = "suspended", _("Suspended")
    REPORTED = "reported", _("Result reported")
    REPLIED = "replied", _("Replied")
    REOPENED = "reopened", _("Reopened")
    ESCALATED = "escalated", _("Escalated")
    MERGED = "merged", _("Merged")
    CLOSED = "closed", _("Closed")


class Priority(models.TextChoices):
    NORMAL = "normal", _("Normal")
    URGENT = "urgent", _("Urgent")
    CRITICAL = "critical", _("Critical")


class PartyRole(models.TextChoices):
    REQUESTER = "requester", _("Requester")
    REPRESENTATIVE = "representative", _("Representative of a group visit")
    RESPONDENT = "respondent", _("Respondent")
    OTHER = "other", _("Other party")


class PartyKind(models.TextChoices):
    PERSON = "person", _("Person")
    ORGANIZATION = "organization", _("Organisation")


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", _("Satisfied")
    BASICALLY_SATISFIED = "basically_satisfied", _("Basically satisfied")
    UNSATISFIED = "unsatisfied", _("Unsatisfied")


class Procedure(models.TextChoices):
    LITIGATION = "litigation", _("Litigation")
    ARBITRATION = "arbitration", _("Arbitration")
    RECONSIDERATION = "administrative_reconsideration", _("Administrative reconsideration")
    POLICE = "police", _("Police procedure")


class DeliveryMethod(models.TextChoices):
    IN_PERSON = "in_person", _("Handed over in person")
    POST = "post", _("By post")
    SMS = "sms", _("By text message")
    PHONE = "phone", _("Read out by phone")
    ONLINE = "online", _("Online")
    EMAIL = "email", _("By email")


class ClockKind(models.TextChoices):
    NOTICE = "notice", _("Written notice")
    DISPATCH = "dispatch", _("Dispatch")
    SIGN = "sign", _("Department sign-off")
    HANDLING = "handling", _("Handling")
    FOLLOW_UP = "follow_up", _("Follow-up visit")
    REVIEW_REQUEST = "review_request", _("Review request window")
    REVIEW = "review", _("Review answer")
    MEDIATION = "mediation", _("Mediation")
    JUDICIAL_CONFIRMATION = "judicial_confirmation", _("Judicial confirmation application")
    RECTIFICATION = "rectification", _("Rectification")
    REPORT = "report", _("Report to the centre's leaders")


class ClockState(models.TextChoices):
    RUNNING = "running", _("Running")
    MET = "met", _("Met")
    MISSED = "missed", _("Missed")
    SUSPENDED = "suspended", _("Suspended")


class WarningLevel(models.IntegerChoices):
    NONE = 0, _("On time")
    DUE_SOON = 1, _("Due soon")
    OVERDUE = 2, _("Overdue")
    SERIOUSLY_OVERDUE = 3, _("Seriously overdue")


class TimeUnit(models.TextChoices):
    DAYS = "days", _("days")
    WORKING_DAYS = "working_days", _("working days")
    MINUTES = "minutes", _("minutes")


class Action(models.TextChoices):
    """What staff can do to a case; `create` is the intake itself."""

    CREATE = "create", _("Register")
    ACCEPT = "accept", _("Accept")
    NOT_ACCEPT = "not_accept", _("Not accept")
    REDIRECT = "redirect", _("Redirect to a legal procedure")
    DISPATCH = "dispatch", _("Dispatch")
    SIGN = "sign", _("Sign for")
    RETURN = "return", _("Return")
    EXTEND = "extend", _("Extend")
    SUSPEND = "suspend", _("Suspend")
    RESUME = "resume", _("Resume")
    REPORT = "report", _("Report the result")
    SEND_BACK = "send_back", _("Send the report back")
    REPLY = "reply", _("Deliver the reply")
    FOLLOW_UP = "follow_up", _("Record the follow-up visit")
    # The resident's own answer to the follow-up, given on the portal.
    RATE = "rate", _("Rate the reply")
    REOPEN = "reopen", _("Reopen")
    REQUEST_REVIEW = "request_review", _("Record a review request")
    ESCALATE = "escalate", _("Escalate to the upper centre")
    MERGE = "merge", _("Merge into another case")
    CLOSE = "close", _("Close")


class EventKind(models.TextChoices):
    """Timeline entries that are not staff actions (those are `Action`), by the module that
    writes them."""

    # civicdesk.privacy: the parties were anonymised when the retention period ended.
    PERSONAL_DATA_PURGED = "personal_data_purged", _("Personal data removed (retention)")
