-- What measure 7 counts of every Order that ran at least 56 days: its valid
-- drug tests (positive or negative) in its first 28 days and in its last
-- 28 days, per window and substance (the code, in words in the tables).
-- `in_both_windows` says whether the Order had a valid test in each window:
-- only those Orders are counted. A table picks the Orders terminated in its
-- window by `termination_date`; done once here, the tens of millions of
-- tests are read once per run, not once per quarter of the series.
-- The window is grouped on as a flag and the substance as its code, and
-- both are put into words after: the groups of every Order are held in
-- memory at once, and at scale 100 (10 million of them) the text took
-- gigabytes.
WITH counted AS (
  SELECT
    o.order_id,
    o.termination_date,
    t.test_date < o.commencement_date + INTERVAL '28 days' AS in_first_window,
    t.substance,
    sum(CASE WHEN t.result = 'positive' THEN 1 ELSE 0 END) AS positives,
    count(*) AS valid
  FROM orders o
  JOIN drug_tests t ON t.order_id = o.order_id
  WHERE o.termination_date >= o.commencement_date + INTERVAL '56 days'
    AND t.result IN ('positive', 'negative')
    AND (t.test_date < o.commencement_date + INTERVAL '28 days'
         OR t.test_date > o.termination_date - INTERVAL '28 days')
  GROUP BY 1, 2, 3, 4
)
SELECT
  order_id,
  termination_date,
  CASE WHEN in_first_window THEN 'First 28 days' ELSE 'Last 28 days' END AS test_window,
  CAST(substance AS VARCHAR) AS substance,
  positives,
  valid,
  min(in_first_window) OVER (PARTITION BY order_id) <> max(in_first_window) OVER (PARTITION BY order_id) AS in_both_windows
FROM counted
