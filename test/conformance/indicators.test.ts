import { indicatorConformance } from './indicator.suite.ts';

// One line per KPI kind; test/conformance/registries.test.ts fails on a kind without one.
indicatorConformance('uptime');
indicatorConformance('hamlet-coverage');
indicatorConformance('site-coverage');
indicatorConformance('outage-count');
indicatorConformance('mttr');
indicatorConformance('mtbf');
indicatorConformance('longest-outage');
indicatorConformance('contractor-sla');
indicatorConformance('camera-untampered');
indicatorConformance('farm-completeness');
