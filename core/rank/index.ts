/** Aggregation per subgroup, potency units, desirability and ranking (pure functions). */
export { aggregate, aggregateMany, aggregateManyFast, combineGroups, concatAggregates, groupStatsFor, maskIndices, SPREAD_INTERVAL_Z, statsFromMoments } from './aggregate.js';
export type { GroupMoments, GroupStats, PredictionMatrix, SubgroupAggregate } from './aggregate.js';
export { lnDiffToFold, lnIc50ToPIc50, lnIc50ToUm, pIc50ToLnIc50 } from './units.js';
export {
  combineTerms,
  DEFAULT_ANCHORS,
  DEFAULT_WEIGHTS,
  DESIRABILITY_TERMS,
  desirability,
  desirabilityTerms,
  ramp,
  resolveWeights,
} from './desirability.js';
export type { DesirabilityAnchors, DesirabilityInput, DesirabilityTerm, DesirabilityTerms } from './desirability.js';
export { desirabilityValues, kthSmallest, prepareCompounds, RANK_BY, rankKey, rankOrder, rankRows, rankSubgroup, scoreSubgroup, topOrder } from './rank.js';
export type { CompoundProfile, PreparedCompounds, RankBy, RankedSubgroup, RankSubgroupOptions, ScoreSubgroupOptions } from './rank.js';
