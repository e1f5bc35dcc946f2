/** Small statistics for reports that decide claims from Monte-Carlo estimates. */

/** (value − target) / se, signed; ±Infinity when se is 0 and the two differ, 0 when they are equal. */
export function zScore(value: number, target: number, se: number): number {
  return se > 0 ? (value - target) / se : value === target ? 0 : Math.sign(value - target) * Infinity;
}
