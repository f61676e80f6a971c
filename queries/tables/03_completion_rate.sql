-- Measure 3. Of the Orders terminated in the reference year, the share
-- completed or ended early for good progress.
SELECT
  CASE
    WHEN grouping(age_band) = 0 THEN 'Age band'
    WHEN grouping(sex_label) = 0 THEN 'Sex'
    WHEN grouping(ethnic_group) = 0 THEN 'Ethnic group'
    WHEN grouping(area_name) = 0 THEN 'Probation area'
    WHEN grouping(order_type) = 0 THEN 'Order type'
    WHEN grouping(accommodation) = 0 THEN 'Accommodation'
    WHEN grouping(motivation_group) = 0 THEN 'Motivation group'
    WHEN grouping(mental_health) = 0 THEN 'Mental health problem'
    WHEN grouping(primary_drug) = 0 THEN 'Primary drug'
    ELSE 'National'
  END AS breakdown,
  COALESCE(age_band, sex_label, ethnic_group, area_name, order_type, accommodation,
           motivation_group, mental_health, primary_drug, 'All') AS "group",
  sum(CASE WHEN termination_reason IN ('completed', 'early_good_progress') THEN 1 ELSE 0 END) AS numerator,
  count(*) AS denominator
FROM orders_labelled
WHERE termination_date BETWEEN $year_start AND $year_end
GROUP BY GROUPING SETS (
  (), (age_band), (sex_label), (ethnic_group), (area_name), (order_type),
  (accommodation), (motivation_group), (mental_health), (primary_drug)
)
ORDER BY breakdown, "group"
