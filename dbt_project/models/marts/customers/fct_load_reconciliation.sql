with

load_reconciliation as (
    select * from {{ ref('stg_raw__load_reconciliation') }}
),

quarantine as (
    select * from {{ ref('stg_raw__quarantine') }}
),

customers as (
    select * from {{ ref('stg_raw__customers') }}
),

accounts as (
    select * from {{ ref('stg_raw__accounts') }}
),

transactions as (
    select * from {{ ref('stg_raw__transactions') }}
),

balances as (
    select * from {{ ref('stg_raw__balances') }}
),

rows_per_raw_table as (
    select
        'customers' as target_table,
        count(*) as rows_in_raw
    from customers
    union all
    select
        'accounts' as target_table,
        count(*) as rows_in_raw
    from accounts
    union all
    select
        'transactions' as target_table,
        count(*) as rows_in_raw
    from transactions
    union all
    select
        'balances' as target_table,
        count(*) as rows_in_raw
    from balances
),

rows_quarantined_per_load as (
    select
        load_id,
        source_file,
        target_table,
        count(*) as rows_in_quarantine
    from quarantine
    group by load_id, source_file, target_table
),

loads_compared as (
    select
        load_reconciliation.load_id,
        load_reconciliation.source_file,
        load_reconciliation.target_table,
        load_reconciliation.rows_read,
        load_reconciliation.rows_loaded,
        load_reconciliation.rows_quarantined,
        cast(rows_per_raw_table.rows_in_raw as bigint) as rows_in_raw,
        cast(
            coalesce(rows_quarantined_per_load.rows_in_quarantine, 0)
            as bigint
        ) as rows_in_quarantine,
        sum(load_reconciliation.rows_loaded) over (
            partition by load_reconciliation.target_table
        ) as rows_loaded_into_table
    from load_reconciliation
    left join rows_per_raw_table
        on load_reconciliation.target_table = rows_per_raw_table.target_table
    left join rows_quarantined_per_load
        on
            load_reconciliation.load_id = rows_quarantined_per_load.load_id
            and load_reconciliation.source_file
            = rows_quarantined_per_load.source_file
            and load_reconciliation.target_table
            = rows_quarantined_per_load.target_table
),

reconciled as (
    select
        load_id,
        source_file,
        target_table,
        rows_read,
        rows_loaded,
        rows_quarantined,
        rows_in_raw,
        rows_in_quarantine,
        coalesce(
            rows_read = rows_loaded + rows_quarantined
            and rows_quarantined = rows_in_quarantine
            and rows_loaded_into_table = rows_in_raw,
            false
        ) as is_reconciled
    from loads_compared
)

select * from reconciled
