//! Helpers for the end-to-end suite: the local control plane, the operator process, waits.
