-- Measure 1. Orders commenced by financial year (April to March) and area,
-- against the area's target, for every financial year that has ended by
-- the period end and in which an Order commenced: every area each year,
-- 0 where none commenced. `All areas` is the national figure and target
-- of each year. A year or area with no row in
-- reference/commencement_targets.csv has no target (NULL, published as
-- [x], not available); the national target is the sum of the areas'
-- targets only when every area has one, since a sum of some areas'
-- targets is not a national target.
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
    y.financial_year,
    a.name AS area,
    t.target,
    COALESCE(b.count, 0) AS count
  FROM (SELECT DISTINCT financial_year FROM by_year) y
  CROSS JOIN probation_areas a
  LEFT JOIN commencement_targets t ON t.area_code = a.code AND t.financial_year = y.financial_year
  LEFT JOIN by_year b ON b.area_code = a.code AND b.financial_year = y.financial_year
)
SELECT financial_year, area, CAST(target AS VARCHAR) AS target, count FROM by_area
UNION ALL
SELECT
  financial_year,
  'All areas',
  CASE WHEN count(target) = count(*) THEN CAST(sum(target) AS VARCHAR) END,
  sum(count)
FROM by_area
GROUP BY financial_year
ORDER BY 1, 2
