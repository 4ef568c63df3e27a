import { reportFormatConformance } from './report-format.suite.ts';

// One line per report format; test/conformance/registries.test.ts fails on a kind without one.
reportFormatConformance('pdf');
reportFormatConformance('xlsx');
reportFormatConformance('csv');
