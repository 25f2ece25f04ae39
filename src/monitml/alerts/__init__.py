"""Alert rules, their states and notifications, channels, and export to Prometheus/Alertmanager.

The monitor feeds :class:`AlertEngine` with :class:`MetricSample` values; the engine returns the
notifications that are due, and a :class:`Dispatcher` delivers them off the monitor's thread.
"""

from monitml.alerts.channels import (
    Channel,
    ChannelError,
    EmailChannel,
    SlackChannel,
    WebhookChannel,
    build_channels,
    channel_named,
)
from monitml.alerts.dispatcher import Dispatcher
from monitml.alerts.engine import AlertEngine, AlertEvent, EventSink, MetricSample
from monitml.alerts.export import alertmanager_config, prometheus_expr, prometheus_rules
from monitml.alerts.expr import Condition, ExprError, parse_expr
from monitml.alerts.metrics import METRICS
from monitml.alerts.notification import Alert, Notification, make_test_notification
from monitml.alerts.settings import (
    AlertRule,
    AlertsSettings,
    ChannelsSettings,
    EmailChannelSettings,
    SlackChannelSettings,
    WebhookChannelSettings,
)

__all__ = [
    "METRICS",
    "Alert",
    "AlertEngine",
    "AlertEvent",
    "AlertRule",
    "AlertsSettings",
    "Channel",
    "ChannelError",
    "ChannelsSettings",
    "Condition",
    "Dispatcher",
    "EmailChannel",
    "EmailChannelSettings",
    "EventSink",
    "ExprError",
    "MetricSample",
    "Notification",
    "SlackChannel",
    "SlackChannelSettings",
    "WebhookChannel",
    "WebhookChannelSettings",
    "alertmanager_config",
    "build_channels",
    "channel_named",
    "make_test_notification",
    "parse_expr",
    "prometheus_expr",
    "prometheus_rules",
]
