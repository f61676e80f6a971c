-- Measure 1. Orders commenced by financial year (April to March) and area,
-- against the area's target, for every financial year ended by the period
-- end. `All areas` is the national figure and target of each year.
WITH started AS (
  SELECT
    area_code,
    CASE WHEN date_part('month', commencement_date) >= 4
      THEN CAST(date_part('year', commencement_date) AS INT)
      ELSE CAST(date_part('year', commencement_date) AS INT) - 1
    END AS first_year
  FROM orders
), by_year AS (
  SELECT
    CAST(area_code AS VARCHAR) AS area_code,
    CAST(first_year AS VARCHAR) || '-' || lpad(CAST((first_year + 1) % 100 AS VARCHAR), 2, '0') AS financial_year,
    count(*) AS count
  FROM started
  WHERE make_date(first_year + 1, 3, 31) <= $year_end
  GROUP BY 1, 2
), by_area AS (
  SELECT
    t.financial_year,
    a.name AS area,
    t.target,
    COALESCE(b.count, 0) AS count
  FROM commencement_targets t
  JOIN probation_areas a ON t.area_code = a.code
  LEFT JOIN by_year b ON b.area_code = t.area_code AND b.financial_year = t.financial_year
  WHERE make_date(CAST(substr(t.financial_year, 1, 4) AS INT) + 1, 3, 31) <= $year_end
)
SELECT financial_year, area, CAST(target AS VARCHAR) AS target, count FROM by_area
UNION ALL
SELECT financial_year, 'All areas', CAST(sum(target) AS VARCHAR), sum(count)
FROM by_area
GROUP BY financial_year
ORDER BY 1, 2
