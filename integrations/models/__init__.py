"""The app's models, one module per domain. Django finds them here, as integrations.<Model>;
the names, tables and permissions are those of the app, whatever module holds them."""

from integrations.models.callbacks import CallbackRequest
from integrations.models.clinics import (
    Appointment,
    AppointmentReply,
    AppointmentStatus,
    Clinic,
    OptOut,
    QuietHoursPolicy,
    ReplyIntent,
)
from integrations.models.jobs import OPEN_STATES, Job, JobState
from integrations.models.orders import Order, OrderStatus

__all__ = [
    "OPEN_STATES",
    "Appointment",
    "AppointmentReply",
    "AppointmentStatus",
    "CallbackRequest",
    "Clinic",
    "Job",
    "JobState",
    "OptOut",
    "Order",
    "OrderStatus",
    "QuietHoursPolicy",
    "ReplyIntent",
]
