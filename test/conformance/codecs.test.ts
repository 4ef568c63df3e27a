import { codecConformance } from './codec.suite.ts';

codecConformance('dragino-lse01');
codecConformance('milesight-em500-smtc');
codecConformance('sensecap-s2105');
