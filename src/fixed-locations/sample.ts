// A synthetic but realistic portfolio of protected premises (South African metros, where AURA operates), generated
// deterministically from a seed: the sample file `npm run dev` loads, and the 50,000-location benchmark.
import type { PlatformLocation } from '../domain/fixed-locations.js';
import { prng } from '../util/prng.js';

const METROS = [
  {
    city: 'Johannesburg',
    suburbs: ['Sandton', 'Rosebank', 'Randburg', 'Bryanston', 'Parktown', 'Melville', 'Fourways', 'Houghton'],
    lat: -26.107,
    lon: 28.056,
    spread: 0.12,
    postal: 2196,
  },
  {
    city: 'Pretoria',
    suburbs: ['Hatfield', 'Brooklyn', 'Menlo Park', 'Lynnwood', 'Centurion', 'Waterkloof'],
    lat: -25.747,
    lon: 28.229,
    spread: 0.1,
    postal: 181,
  },
  {
    city: 'Cape Town',
    suburbs: ['Sea Point', 'Claremont', 'Rondebosch', 'Bellville', 'Gardens', 'Green Point', 'Constantia'],
    lat: -33.925,
    lon: 18.424,
    spread: 0.1,
    postal: 8001,
  },
  {
    city: 'Durban',
    suburbs: ['Umhlanga', 'Berea', 'Morningside', 'Westville', 'Glenwood'],
    lat: -29.858,
    lon: 31.022,
    spread: 0.08,
    postal: 4001,
  },
];
const STREETS = [
  'Rivonia Road',
  'Oxford Road',
  'Jan Smuts Avenue',
  'William Nicol Drive',
  'Main Road',
  'Church Street',
  'Beach Road',
  'Florida Road',
  'Victoria Road',
  'Long Street',
  'Park Lane',
  'Louis Botha Avenue',
  'Grayston Drive',
  'Alice Lane',
  'Kloof Street',
  'Esselen Street',
];
const KINDS = [
  'Residence',
  'Warehouse',
  'Retail store',
  'Office park',
  'Pharmacy',
  'Filling station',
  'Clinic',
  'Townhouse complex',
  'Workshop',
  'Restaurant',
];
const OWNERS = [
  'Naidoo',
  'Dlamini',
  'van der Merwe',
  'Botha',
  'Mokoena',
  'Pillay',
  'Nkosi',
  'Smith',
  'Khumalo',
  'Jacobs',
  'Ndlovu',
  'Pretorius',
];
const GATES = [
  'Gate code {code}#; dogs on the property, keyholder will secure them',
  'Guard hut at the main gate: ask for the site supervisor',
  'Pedestrian gate on the side street; main gate motor often fails',
  'Access via the loading bay off the service road',
  'Boom gate: intercom unit 1, code {code}',
  'No gate; entrance at the back of the building',
];

export function samplePortfolio(count: number, seed = 7, idPrefix = 'PRM'): PlatformLocation[] {
  const rnd = prng(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!;
  const out: PlatformLocation[] = [];
  for (let i = 1; i <= count; i++) {
    const m = pick(METROS);
    const suburb = pick(m.suburbs);
    const kind = pick(KINDS);
    const owner = pick(OWNERS);
    const number = 1 + Math.floor(rnd() * 240);
    const code = String(1000 + Math.floor(rnd() * 9000));
    const mobile = `+27 8${Math.floor(rnd() * 3) + 2} ${String(Math.floor(rnd() * 900) + 100)} ${String(Math.floor(rnd() * 9000) + 1000)}`;
    out.push({
      platformLocationId: `${idPrefix}-${String(i).padStart(6, '0')}`,
      name:
        kind === 'Residence' || kind === 'Townhouse complex'
          ? `${owner} ${kind.toLowerCase()}, ${suburb}`
          : `${owner} ${kind} ${suburb}`,
      address:
        `${number} ${pick(STREETS)}, ${suburb}, ${m.city}, ` +
        `${String(m.postal + Math.floor(rnd() * 90)).padStart(4, '0')}`,
      latitude: Number((m.lat + (rnd() - 0.5) * m.spread).toFixed(6)),
      longitude: Number((m.lon + (rnd() - 0.5) * m.spread).toFixed(6)),
      contactNotes:
        rnd() < 0.85
          ? `Keyholder ${owner}, ${mobile}${rnd() < 0.3 ? '; second keyholder via the control room' : ''}`
          : null,
      gateInstructions: rnd() < 0.8 ? pick(GATES).replace('{code}', code) : null,
    });
  }
  return out;
}
