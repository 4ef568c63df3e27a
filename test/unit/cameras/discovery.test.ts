import { describe, expect, it } from 'vitest';
import { toDevice } from '../../../services/cameras/discovery.ts';

const answer = (scopes: string) => ({
  probeMatches: {
    probeMatch: {
      endpointReference: { address: 'urn:uuid:cam-1' },
      XAddrs: 'http://192.168.1.64:80/onvif/device_service',
      scopes,
    },
  },
});

describe('a WS-Discovery answer', () => {
  it('reads the name and hardware scopes, decoded', () => {
    expect(
      toDevice(
        answer('onvif://www.onvif.org/name/Camera%20ch%E1%BB%A3 onvif://www.onvif.org/hardware/DS-2CD'),
      ),
    ).toEqual([
      expect.objectContaining({ host: '192.168.1.64', port: 80, name: 'Camera chợ', hardware: 'DS-2CD' }),
    ]);
  });

  it('keeps a scope with a bad escape as it came instead of throwing', () => {
    expect(toDevice(answer('onvif://www.onvif.org/name/%E0'))).toEqual([
      expect.objectContaining({ name: '%E0', hardware: null }),
    ]);
  });
});
