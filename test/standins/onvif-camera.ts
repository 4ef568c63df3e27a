// The stand-in camera lives beside the simulator, which runs a few in the demo (`npm start`); the
// service image ships gateway/ but not test/. Tests import it from here as from every stand-in.
export * from '../../gateway/simulator/onvif-camera.ts';
