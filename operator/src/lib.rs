//! VexFS Semantic operator: the `VexfsSemantic` API and its reconcile pipeline.
