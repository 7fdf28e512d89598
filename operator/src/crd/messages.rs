//! Validation messages shared by the CRD's CEL rules and the operator's own validation.
//!
//! The API server returns these strings when a CEL rule fails, and `controller::validate`
//! reports the same text, so users see one message whichever layer rejects a spec.

/// `minPatternLength` must not exceed `maxPatternLength`.
pub const PATTERN_LENGTH: &str = "minPatternLength must be less than or equal to maxPatternLength";
/// Percent fields accept 0 to 100.
pub const PERCENT_RANGE: &str = "percentage must be between 0 and 100";
/// A backup schedule is a standard 5-field cron expression.
pub const SCHEDULE_FIELDS: &str = "schedule must have exactly 5 space-separated fields";
/// A backup names exactly one target.
pub const ONE_BACKUP_TARGET: &str = "backup target must set exactly one of volume or s3";
/// A network peer is either pods (by labels) or an address range.
pub const ONE_PEER_KIND: &str =
    "network peer must set either ipBlock or namespaceSelector/podSelector, not both or neither";
/// A receiver has exactly one kind.
pub const ONE_RECEIVER_KIND: &str = "receiver must set exactly one of webhook, slack or email";
/// Receiver names are unique.
pub const UNIQUE_RECEIVERS: &str = "receiver names must be unique";
/// Role names are unique.
pub const UNIQUE_ROLES: &str = "role names must be unique";
/// Subject names are unique (tokens carry names only, whatever the kind).
pub const UNIQUE_SUBJECTS: &str = "subject names must be unique";
/// The operator's backup identity (`vexfs-operator-backup`) is not a user role or subject name.
pub const RESERVED_BACKUP_IDENTITY: &str = "vexfs-operator-backup is reserved for the operator backup identity and cannot name a role or subject";
/// TLS has one certificate source.
pub const ONE_TLS_SOURCE: &str = "tls may set secretName or issuerRef, not both";
/// Subjects reference roles declared in `rbac.roles`.
pub const SUBJECT_ROLES_EXIST: &str = "every subject role must name a role in rbac.roles";
/// Alert rules reference receivers declared in `alerting.receivers`.
pub const RULE_RECEIVERS_EXIST: &str =
    "every alert rule receiver must name a receiver in alerting.receivers";
/// Alert rule names are unique.
pub const UNIQUE_RULES: &str = "alert rule names must be unique";
/// Metric conditions compare against a threshold.
pub const RULE_THRESHOLD: &str = "a metric condition needs a threshold";
/// One engine replica unless clustered: standalone replicas do not share their event log.
pub const ONE_ENGINE_REPLICA: &str = "more than one engine replica needs clustered mode, because each standalone replica keeps its own event log, so sessions, queries and backups would each see only part of the data; set spec.cluster.nats to an existing NATS JetStream cluster (see docs/cluster.md) or run one replica";
/// NATS client URLs.
pub const NATS_URL: &str =
    "cluster.nats.url must list nats:// or tls:// URLs separated by commas (nats://nats.nats:4222)";
/// NATS stream names.
pub const NATS_STREAM: &str = "cluster.nats.stream must be a JetStream stream name, without spaces, dots, wildcards (* and >), slashes or backslashes";
/// NATS subject prefixes.
pub const NATS_SUBJECT_PREFIX: &str = "cluster.nats.subjectPrefix must be non-empty tokens separated by dots, without spaces, wildcards (* and >), slashes or backslashes";
/// Stream partitions.
pub const NATS_PARTITIONS: &str = "cluster.nats.partitions must be between 1 and 1024";
/// Stream replication.
pub const NATS_STREAM_REPLICAS: &str =
    "cluster.nats.streamReplicas must be between 1 and 5, the JetStream limit";
/// Every engine replica owns at least one partition.
pub const REPLICAS_WITHIN_PARTITIONS: &str = "engine replicas (spec.engine.replicas, or spec.engine.autoscaling.maxReplicas) must not exceed spec.cluster.nats.partitions, since each replica owns at least one partition";
/// Autoscaling bounds.
pub const AUTOSCALING_RANGE: &str =
    "autoscaling.minReplicas must be less than or equal to autoscaling.maxReplicas";
/// Autoscaling changes the replica count, which needs clustered mode.
pub const AUTOSCALING_NEEDS_CLUSTER: &str = "spec.engine.autoscaling needs clustered mode; set spec.cluster.nats to an existing NATS JetStream cluster (see docs/cluster.md)";
