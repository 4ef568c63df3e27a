// The stand-in camera's scenes live beside it, in gateway/simulator/ (see onvif-camera.ts here).
export * from '../../gateway/simulator/camera-scene.ts';
