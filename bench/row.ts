/** One benchmark figure for the summary tables every bench/*.ts prints. */
export interface BenchRow {
  name: string;
  /** The figure with its unit. */
  value: string;
  /** The named peer's figure, measured in the same run. */
  peer?: string;
  /** podlog against the peer. */
  ratio?: string;
  /** The issue's target. */
  goal?: string;
}
