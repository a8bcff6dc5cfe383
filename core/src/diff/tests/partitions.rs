//! Partitioned tables: an index created on one takes the matching indexes its
//! partitions have of their own (PostgreSQL attaches them), and its `DROP INDEX` drops
//! them: the down file creates them again.
use super::*;
use crate::schema::Partition;

fn partition(
    name: &str,
    parent: &str,
    partition_by: Option<&str>,
    own: &[(&str, &str)],
) -> Partition {
    // Through serde, so that the fields left out take their defaults.
    serde_json::from_value(serde_json::json!({
        "schema": "public",
        "name": name,
        "parent_schema": "public",
        "parent": parent,
        "bound": "FOR VALUES FROM ('2022-01-01') TO ('2022-02-01')",
        "partition_by": partition_by,
        "own_objects": own.iter().map(|(o, _)| o).collect::<Vec<_>>(),
        "own_definitions": own.iter().map(|(_, d)| d).collect::<Vec<_>>(),
    }))
    .expect("a partition")
}

/// pagila's `payment`, partitioned by month, before the entity declares its indexes.
fn payment() -> Table {
    let mut t = table(
        "payment",
        vec![
            col("payment_id", "integer"),
            col("customer_id", "integer"),
            col("payment_date", "timestamp with time zone"),
        ],
    );
    t.partition_by = Some("RANGE (payment_date)".into());
    t
}

#[test]
fn an_index_on_a_partitioned_table_is_undone_with_the_partitions_own_indexes_created_again() {
    let mut current = schema(vec![payment()]);
    current.objects.partitions = vec![
        partition(
            "payment_p2022_01",
            "payment",
            None,
            &[
                (
                    "index idx_fk_payment_p2022_01_customer_id",
                    "CREATE INDEX idx_fk_payment_p2022_01_customer_id ON public.payment_p2022_01 USING btree (customer_id)",
                ),
                // Unique: never attached to a plain index.
                (
                    "index payment_p2022_01_payment_id_key",
                    "CREATE UNIQUE INDEX payment_p2022_01_payment_id_key ON public.payment_p2022_01 USING btree (payment_id)",
                ),
                // Another method: never attached to a btree index.
                (
                    "index payment_p2022_01_customer_id_hash",
                    "CREATE INDEX payment_p2022_01_customer_id_hash ON public.payment_p2022_01 USING hash (customer_id)",
                ),
                (
                    "constraint payment_p2022_01_amount_check",
                    "ALTER TABLE payment_p2022_01 ADD CONSTRAINT payment_p2022_01_amount_check CHECK ((payment_id > 0))",
                ),
            ],
        ),
        // Partitioned again: its own index (`ON ONLY`) is created on its partitions
        // too, before those of its partitions.
        partition(
            "payment_p2022_02",
            "payment",
            Some("RANGE (payment_date)"),
            &[(
                "index payment_p2022_02_customer_id",
                "CREATE INDEX payment_p2022_02_customer_id ON ONLY public.payment_p2022_02 USING btree (customer_id)",
            )],
        ),
        partition(
            "payment_p2022_02a",
            "payment_p2022_02",
            None,
            &[(
                "index idx_payment_p2022_02a_customer_id",
                "CREATE INDEX idx_payment_p2022_02a_customer_id ON public.payment_p2022_02a USING btree (customer_id)",
            )],
        ),
        partition("payment_p2022_03", "payment", None, &[]),
        // Another table's partition.
        partition(
            "rental_p2022_01",
            "rental",
            None,
            &[(
                "index rental_p2022_01_customer_id",
                "CREATE INDEX rental_p2022_01_customer_id ON public.rental_p2022_01 USING btree (customer_id)",
            )],
        ),
    ];
    current.sort();
    let desired = schema(vec![with_index(
        payment(),
        index("payment_customer_id_idx", &["customer_id"]),
    )]);
    snapshot_diff!(desired, current);
}

#[test]
fn a_unique_index_on_a_partitioned_table_notes_the_partitions_keys_it_may_take() {
    let mut current = schema(vec![payment()]);
    current.objects.partitions = vec![partition(
        "payment_p2022_01",
        "payment",
        None,
        &[
            (
                "constraint payment_p2022_01_pkey",
                "ALTER TABLE payment_p2022_01 ADD CONSTRAINT payment_p2022_01_pkey PRIMARY KEY (payment_id, payment_date)",
            ),
            (
                "index payment_p2022_01_id_date",
                "CREATE UNIQUE INDEX payment_p2022_01_id_date ON public.payment_p2022_01 USING btree (payment_id, payment_date)",
            ),
        ],
    )];
    let mut i = index("payment_id_date_key", &["payment_id", "payment_date"]);
    i.unique = true;
    let desired = schema(vec![with_index(payment(), i)]);
    snapshot_diff!(desired, current);
}
