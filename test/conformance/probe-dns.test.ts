import { startDnsServer } from '../standins/dns-server.ts';
import { probeConformance } from './probe.suite.ts';

probeConformance('dns', async () => {
  const server = await startDnsServer({
    records: { 'ubnd.talai.gov.vn': ['10.0.0.5'] },
    silent: ['treo.talai.gov.vn'],
  });
  const at = { server: '127.0.0.1', port: server.port };
  return {
    reachable: { ...at, name: 'ubnd.talai.gov.vn', expect: ['10.0.0.5'] },
    unreachable: { ...at, name: 'khong-co.talai.gov.vn' },
    hanging: { ...at, name: 'treo.talai.gov.vn' },
    invalid: [
      { server: 'dns.local', name: 'x' },
      { server: '127.0.0.1' },
      { server: '127.0.0.1', name: 'x', type: 'MX' },
    ],
    close: () => server.stop(),
  };
});
