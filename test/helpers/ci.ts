/** CI=true or CI=1 (and OSMETA_REQUIRE_<NAME>=1): a missing tool fails the suite instead of skipping it. */
export function toolRequired(name: string): boolean {
  const ci = (process.env.CI ?? '').toLowerCase();
  return ci === 'true' || ci === '1' || process.env[`OSMETA_REQUIRE_${name}`] === '1';
}
