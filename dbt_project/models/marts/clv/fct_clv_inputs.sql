{#- The calibration summary of the buy-till-you-die models: one row per
    customer with at least one purchase on or before as_of_date. Purchase
    occasions come from fct_customer_rfm (distinct purchase days: same-day
    purchases are one occasion; refunds are none), so RFM and CLV count
    alike. Times are whole days; models_py.clv converts them to the var
    clv_time_unit. -#}
with

rfm as (
    select * from {{ ref('fct_customer_rfm') }}
),

transactions as (
    select * from {{ ref('int_transactions_classified') }}
),

as_of_date as (
    select * from {{ ref('int_as_of_date') }}
),

purchasers as (
    select
        customer_id,
        first_purchase_date,
        last_purchase_date,
        frequency as purchase_occasions
    from rfm
    where frequency > 0
),

{# Spend after the first occasion day feeds Gamma-Gamma: purchases on the
    later occasions minus every refund booked after the first day (a refund
    on the first day reduces the first purchase, which the model does not
    use). #}
spend_split as (
    select
        purchasers.customer_id,
        sum(
            case
                when
                    transactions.is_purchase
                    and transactions.booked_date
                    = purchasers.first_purchase_date
                    then transactions.purchase_amount
                else 0
            end
        ) as first_purchase_spend,
        sum(
            case
                when
                    transactions.is_purchase
                    and transactions.booked_date
                    > purchasers.first_purchase_date
                    then transactions.purchase_amount
                else 0
            end
        ) as repeat_purchase_amount,
        sum(
            case
                when
                    transactions.is_refund
                    and transactions.booked_date
                    > purchasers.first_purchase_date
                    then transactions.refund_amount
                else 0
            end
        ) as repeat_refund_amount
    from purchasers
    inner join transactions
        on purchasers.customer_id = transactions.customer_id
    where transactions.is_purchase or transactions.is_refund
    group by purchasers.customer_id
),

summarised as (
    select
        purchasers.customer_id,
        as_of_date.as_of_date,
        purchasers.first_purchase_date,
        purchasers.last_purchase_date,
        cast(purchasers.purchase_occasions as bigint) as purchase_occasions,
        cast(purchasers.purchase_occasions - 1 as bigint) as repeat_purchases,
        cast(
            {{ dbt.datediff('purchasers.first_purchase_date',
                            'purchasers.last_purchase_date', 'day') }}
            as integer
        ) as days_first_to_last_purchase,
        cast(
            {{ dbt.datediff('purchasers.first_purchase_date',
                            'as_of_date.as_of_date', 'day') }}
            as integer
        ) as days_since_first_purchase,
        cast(
            spend_split.first_purchase_spend as decimal(18, 2)
        ) as first_purchase_spend,
        cast(
            spend_split.repeat_purchase_amount
            - spend_split.repeat_refund_amount
            as decimal(18, 2)
        ) as repeat_spend
    from purchasers
    inner join spend_split
        on purchasers.customer_id = spend_split.customer_id
    cross join as_of_date
),

mean_added as (
    select
        *,
        cast(
            case
                when repeat_purchases > 0
                    then repeat_spend / repeat_purchases
            end
            as decimal(18, 2)
        ) as mean_repeat_spend
    from summarised
)

select * from mean_added
