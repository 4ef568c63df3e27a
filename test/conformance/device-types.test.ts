import { deviceTypeConformance } from './device-type.suite.ts';

// One line per registered device type; test/conformance/registries.test.ts fails on a kind without one.
deviceTypeConformance('camera');
deviceTypeConformance('loudspeaker');
deviceTypeConformance('wifi-ap');
deviceTypeConformance('uplink');
deviceTypeConformance('network-equipment');
deviceTypeConformance('soil-sensor');
deviceTypeConformance('gateway');
