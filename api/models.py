"""Every table, imported in one place so metadata (and Alembic) sees them all."""

from api.accounts.models import SocialAccount
from api.alerts.models import Alert, AlertRule
from api.billing.metering import UsageEvent
from api.billing.subscriptions import StripeEvent, Subscription
from api.billing.usage_reporting import MeterEventDelivery
from api.clients.models import Client
from api.content.models import StoredMention, StoredPost
from api.idempotency import IdempotencyRecord
from api.metrics.models import StoredMetricPoint
from api.oauth.models import OAuthState
from api.objectives.models import Objective
from api.reports.generated import GeneratedReport
from api.roi.models import CostEntry, EmvRateCard, ValueEntry
from api.sync.models import SyncRun
from api.webhooks.models import WebhookDelivery, WebhookEndpoint
from tenants.branding import TenantBrand, TenantLogo
from tenants.domains import TenantDomain
from tenants.models import ApiKey, AuditEntry, Member, Tenant

__all__ = [
    "Alert",
    "AlertRule",
    "ApiKey",
    "AuditEntry",
    "Client",
    "CostEntry",
    "EmvRateCard",
    "GeneratedReport",
    "IdempotencyRecord",
    "Member",
    "MeterEventDelivery",
    "OAuthState",
    "Objective",
    "SocialAccount",
    "StoredMention",
    "StoredMetricPoint",
    "StoredPost",
    "StripeEvent",
    "Subscription",
    "SyncRun",
    "Tenant",
    "TenantBrand",
    "TenantDomain",
    "TenantLogo",
    "UsageEvent",
    "ValueEntry",
    "WebhookDelivery",
    "WebhookEndpoint",
]
