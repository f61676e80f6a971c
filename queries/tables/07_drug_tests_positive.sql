-- Measure 7. Orders terminated in the reference year that ran at least 56
-- days with a valid test (positive or negative) in both their first 28 days
-- and their last 28 days: the share of valid tests positive in each window,
-- by substance, in the words of reference/substances.csv. The tests are
-- counted per Order, window and substance once per run, in the view
-- drug_test_windows.
SELECT
  g.breakdown,
  g."group",
  w.test_window,
  s.label AS substance,
  sum(w.positives) AS numerator,
  sum(w.valid) AS denominator
FROM drug_test_windows w
JOIN order_groups_and_ending g USING (order_id)
LEFT JOIN substances s ON w.substance = s.code
WHERE w.termination_date BETWEEN $year_start AND $year_end
  AND w.in_both_windows
GROUP BY g.breakdown, g."group", w.test_window, s.label
ORDER BY 1, 2, 3, 4
