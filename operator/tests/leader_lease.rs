//! Two electors competing for one Lease on the in-memory API.

mod support;

use support::fake_api::FakeApi;
use vexfs_operator::leader::LeaderElector;

const LEASE: &str = "/apis/coordination.k8s.io/v1/namespaces/ops/leases/vexfs-operator";

#[tokio::test]
async fn one_leader_at_a_time_and_release_hands_over() {
    let fake = FakeApi::default();
    let a = LeaderElector::new(fake.client(), "ops", "vexfs-operator", "pod-a");
    let b = LeaderElector::new(fake.client(), "ops", "vexfs-operator", "pod-b");

    assert!(
        a.try_acquire_or_renew().await.expect("round"),
        "a creates the lease"
    );
    assert!(
        !b.try_acquire_or_renew().await.expect("round"),
        "b follows a live lease"
    );
    assert!(a.try_acquire_or_renew().await.expect("round"), "a renews");
    let lease = fake.get(LEASE).expect("lease stored");
    assert_eq!(lease["spec"]["holderIdentity"], "pod-a");
    assert_eq!(lease["spec"]["leaseTransitions"], 0);

    a.release().await.expect("release");
    assert!(fake.get(LEASE).expect("lease")["spec"]["holderIdentity"].is_null());
    assert!(
        b.try_acquire_or_renew().await.expect("round"),
        "b takes the released lease"
    );
    let lease = fake.get(LEASE).expect("lease");
    assert_eq!(lease["spec"]["holderIdentity"], "pod-b");
    assert_eq!(lease["spec"]["leaseTransitions"], 1);
    assert!(
        !a.try_acquire_or_renew().await.expect("round"),
        "a now follows"
    );
}

#[tokio::test]
async fn a_released_lease_is_taken_with_the_version_just_read() {
    let fake = FakeApi::default();
    let a = LeaderElector::new(fake.client(), "ops", "vexfs-operator", "pod-a");
    assert!(a.try_acquire_or_renew().await.expect("round"));
    let mut lease = fake.get(LEASE).expect("lease");
    lease["spec"]["holderIdentity"] = "".into();
    lease["metadata"]["resourceVersion"] = "41".into();
    fake.put(LEASE, lease);
    let b = LeaderElector::new(fake.client(), "ops", "vexfs-operator", "pod-b");
    assert!(
        b.try_acquire_or_renew().await.expect("round"),
        "free lease is taken with the version just read"
    );
}
