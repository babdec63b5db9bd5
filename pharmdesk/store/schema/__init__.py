"""The tables. Integer ids; the API's display ids (``CUST-12``) are made from them.

Times are stored as naive UTC datetimes (to the second), dates as dates. Money is an
integer number of the branch currency's units. Lists that segment queries search
(conditions, allergies) have rows of their own with a search key beside the label.
"""

from __future__ import annotations

from pharmdesk.store.schema.audit import (
    AuditCustomer,
    AuditEntry,
    AuditState,
    BackupKeyslot,
    SignInCounter,
)
from pharmdesk.store.schema.base import Base, Setting, Staff
from pharmdesk.store.schema.customers import (
    ConsentEvent,
    Customer,
    CustomerAllergy,
    CustomerCondition,
    CustomerMerge,
    CustomerRelationship,
)
from pharmdesk.store.schema.messaging import (
    ConsentRecord,
    CustomerConsent,
    MessageReply,
    OutboxMessage,
    SuppressedPhone,
)
from pharmdesk.store.schema.plans import Order, Plan, Subscription, SubscriptionEvent

__all__ = [
    "AuditCustomer",
    "AuditEntry",
    "AuditState",
    "BackupKeyslot",
    "Base",
    "ConsentEvent",
    "ConsentRecord",
    "Customer",
    "CustomerAllergy",
    "CustomerCondition",
    "CustomerConsent",
    "CustomerMerge",
    "CustomerRelationship",
    "MessageReply",
    "Order",
    "OutboxMessage",
    "Plan",
    "Setting",
    "SignInCounter",
    "Staff",
    "Subscription",
    "SubscriptionEvent",
    "SuppressedPhone",
]
