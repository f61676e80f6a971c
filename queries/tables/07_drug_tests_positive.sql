-- Measure 7. Orders terminated in the reference year that ran at least 56
-- days with a valid test (positive or negative) in both their first 28 days
-- and their last 28 days: the share of valid tests positive in each window,
-- by substance, in the words of reference/substances.csv. The tests are
-- counted per Order, window and substance once per run, in the view
-- drug_test_windows.
-- The tests are added up by substance code first and put into words after:
-- joined to the words before, every counted row would be held in memory
-- to be matched with a handful of substances (1.2 GB at scale 100).
WITH counted AS (
  SELECT
    g.breakdown,
    g."group",
    w.test_window,
    w.substance,
    sum(w.positives) AS positives,
    sum(w.valid) AS valid
  FROM drug_test_windows w
  JOIN order_groups_and_ending g USING (order_id)
  WHERE w.termination_date BETWEEN $year_start AND $year_end
    AND w.in_both_windows
  GROUP BY g.breakdown, g."group", w.test_window, w.substance
)
SELECT
  c.breakdown,
  c."group",
  c.test_window,
  s.label AS substance,
  sum(c.positives) AS numerator,
  sum(c.valid) AS denominator
FROM counted c
LEFT JOIN substances s ON c.substance = s.code
GROUP BY c.breakdown, c."group", c.test_window, s.label
ORDER BY 1, 2, 3, 4
