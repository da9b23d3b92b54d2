"""The app's models, one module per domain (and the models of the operations packages:
audit, periodic, reconciliation). Django finds them here, as integrations.<Model>;
the names, tables and permissions are those of the app, whatever module holds them."""

from integrations.audit.models import AuditEntry
from integrations.models.api_keys import ApiKey
from integrations.models.callbacks import CallbackRequest
from integrations.models.clinics import (
    AnswerChannel,
    Appointment,
    AppointmentReply,
    AppointmentStatus,
    Clinic,
    OptOut,
    QuietHoursPolicy,
    ReminderKeyPress,
    ReplyIntent,
)
from integrations.models.jobs import OPEN_STATES, Job, JobState, JobWakeup
from integrations.models.orders import Order, OrderStatus
from integrations.periodic.models import DeliveryTally, PeriodicRun
from integrations.reconciliation.models import FailedClawOpsDelivery, RecoveredItem

__all__ = [
    "AnswerChannel",
    "OPEN_STATES",
    "ApiKey",
    "Appointment",
    "AppointmentReply",
    "AppointmentStatus",
    "AuditEntry",
    "CallbackRequest",
    "Clinic",
    "DeliveryTally",
    "FailedClawOpsDelivery",
    "Job",
    "JobState",
    "JobWakeup",
    "OptOut",
    "Order",
    "OrderStatus",
    "PeriodicRun",
    "QuietHoursPolicy",
    "RecoveredItem",
    "ReminderKeyPress",
    "ReplyIntent",
]
