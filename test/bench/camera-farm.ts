/**
 * A farm of stand-in cameras in its own process for the camera bench (cameras.ts), so the
 * measured gateway process pays only for probing. Prints one JSON line of addresses, then serves
 * until stdin closes. Usage: tsx test/bench/camera-farm.ts <count> <hangingShare>
 */
import { type OnvifCameraStandIn, startOnvifCamera } from '../standins/onvif-camera.ts';

const count = Number(process.argv[2] ?? 500);
const hanging = Math.round(count * Number(process.argv[3] ?? 0.02));
const scenes = ['normal', 'normal', 'normal', 'normal', 'covered', 'dark', 'blurred', 'turned'] as const;
const cams: OnvifCameraStandIn[] = [];
for (let i = 0; i < count; i++)
  cams.push(
    await startOnvifCamera({
      behaviour: { scene: scenes[i % scenes.length]!, hang: i < hanging, driftSec: i % 10 === 3 ? 120 : 0 },
    }),
  );
process.stdout.write(
  `${JSON.stringify(cams.map((c) => ({ host: c.host, port: c.port, username: c.username, password: c.password })))}\n`,
);
process.stdin.resume();
process.stdin.once('end', () => void Promise.all(cams.map((c) => c.stop())).then(() => process.exit(0)));
