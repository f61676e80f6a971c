-- Every Order once for each of the usual breakdowns, with its group there.
-- A table joins its Orders to this and groups by breakdown and group, so
-- the groups of each breakdown add up to the national total.
SELECT order_id, 'National' AS breakdown, 'All' AS "group" FROM orders_labelled
UNION ALL SELECT order_id, 'Age band', age_band FROM orders_labelled
UNION ALL SELECT order_id, 'Sex', sex_label FROM orders_labelled
UNION ALL SELECT order_id, 'Ethnic group', ethnic_group FROM orders_labelled
UNION ALL SELECT order_id, 'Probation area', area_name FROM orders_labelled
