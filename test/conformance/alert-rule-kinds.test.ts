import { alertRuleKindConformance } from './alert-rule-kind.suite.ts';

// One line per alert rule kind; test/conformance/registries.test.ts fails on a kind without one.
alertRuleKindConformance('down-for');
alertRuleKindConformance('degraded-for');
alertRuleKindConformance('silent');
alertRuleKindConformance('metric-threshold');
alertRuleKindConformance('plot-dry');
alertRuleKindConformance('plot-wet');
alertRuleKindConformance('report-overdue');
