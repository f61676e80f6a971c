-- Measure 3's completion, as 03_completion_rate.sql counts it, for every
-- combination of sex and age band: the pipeline adds the totals, and
-- publishes the rows `show` names in women_completing.toml.
SELECT
  o.sex_label AS sex,
  o.age_band,
  sum(CASE WHEN o.termination_reason IN ('completed', 'early_good_progress') THEN 1 ELSE 0 END) AS numerator,
  count(*) AS denominator
FROM orders_labelled o
WHERE o.termination_date BETWEEN $year_start AND $year_end
GROUP BY o.sex_label, o.age_band
