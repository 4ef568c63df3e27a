import { startOnvifCamera } from '../standins/onvif-camera.ts';
import { closedPort, silentServer } from '../standins/probe-targets.ts';
import { probeConformance } from './probe.suite.ts';

probeConformance('onvif', async () => {
  const [cam, hang, closed] = await Promise.all([startOnvifCamera(), silentServer(), closedPort()]);
  const creds = { username: cam.username, password: cam.password };
  return {
    reachable: { host: cam.host, port: cam.port, ...creds },
    unreachable: { host: '127.0.0.1', port: closed, ...creds },
    hanging: { host: '127.0.0.1', port: hang.port, ...creds },
    invalid: [
      { host: cam.host, port: cam.port, username: 'x' },
      { host: cam.host, port: 70_000, ...creds },
      { host: cam.host, ...creds, sceneMovedBits: 64 },
      { host: cam.host, ...creds, rtspPort: 554 },
    ],
    close: async () => void (await Promise.all([cam.stop(), hang.close()])),
  };
});
