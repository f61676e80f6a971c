-- Measure 7. Of the same Orders, the share whose positive share (all valid
-- tests, both substances) was lower in the last 28 days than in the first.
-- The tests are counted per Order, window and substance once per run, in
-- the view drug_test_windows; an Order with a valid test in both windows
-- has both shares.
WITH shares AS (
  SELECT
    order_id,
    CAST(sum(CASE WHEN test_window = 'First 28 days' THEN positives END) AS DOUBLE)
      / sum(CASE WHEN test_window = 'First 28 days' THEN valid END) AS first_share,
    CAST(sum(CASE WHEN test_window = 'Last 28 days' THEN positives END) AS DOUBLE)
      / sum(CASE WHEN test_window = 'Last 28 days' THEN valid END) AS last_share
  FROM drug_test_windows
  WHERE termination_date BETWEEN $year_start AND $year_end
    AND in_both_windows
  GROUP BY order_id
)
SELECT
  g.breakdown,
  g."group",
  sum(CASE WHEN s.last_share < s.first_share THEN 1 ELSE 0 END) AS numerator,
  count(*) AS denominator
FROM shares s
JOIN order_groups_and_ending g USING (order_id)
GROUP BY g.breakdown, g."group"
ORDER BY 1, 2
