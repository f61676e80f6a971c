-- Measure 7. Orders terminated in the reference year that ran at least 56
-- days with a valid test (positive or negative) in both their first 28 days
-- and their last 28 days: the share of valid tests positive in each window,
-- by substance, in the words of reference/substances.csv (joined last, to
-- the counts per Order rather than to every test).
WITH ended AS (
  SELECT * FROM orders
  WHERE termination_date BETWEEN $year_start AND $year_end
    AND termination_date >= commencement_date + INTERVAL '56 days'
), windowed AS (
  SELECT
    o.order_id,
    CASE WHEN t.test_date < o.commencement_date + INTERVAL '28 days' THEN 'First 28 days' ELSE 'Last 28 days' END AS test_window,
    CAST(t.substance AS VARCHAR) AS substance,
    CASE WHEN t.result = 'positive' THEN 1 ELSE 0 END AS positive
  FROM ended o
  JOIN drug_tests t ON t.order_id = o.order_id
  WHERE t.result IN ('positive', 'negative')
    AND (t.test_date < o.commencement_date + INTERVAL '28 days'
         OR t.test_date > o.termination_date - INTERVAL '28 days')
), per_order AS (
  -- Counted per Order first: the breakdowns then join thousands of rows,
  -- not millions.
  SELECT
    order_id, test_window, substance,
    sum(positive) AS positives,
    count(*) AS valid,
    min(test_window) OVER (PARTITION BY order_id) AS earliest_window,
    max(test_window) OVER (PARTITION BY order_id) AS latest_window
  FROM windowed
  GROUP BY order_id, test_window, substance
)
SELECT
  g.breakdown,
  g."group",
  w.test_window,
  s.label AS substance,
  sum(w.positives) AS numerator,
  sum(w.valid) AS denominator
FROM per_order w
JOIN order_groups_and_ending g USING (order_id)
LEFT JOIN substances s ON w.substance = s.code
-- A valid test in both windows.
WHERE w.earliest_window <> w.latest_window
GROUP BY g.breakdown, g."group", w.test_window, s.label
ORDER BY 1, 2, 3, 4
