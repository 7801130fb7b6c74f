import { Migration20261123190136 } from './Migration20261123190136.js';
import { Migration20261123192258 } from './Migration20261123192258.js';
import { Migration20261123193108 } from './Migration20261123193108.js';
import { Migration20261123193225 } from './Migration20261123193225.js';
import { Migration20261123193226 } from './Migration20261123193226.js';
import { Migration20261123193355 } from './Migration20261123193355.js';
import { Migration20261123202500 } from './Migration20261123202500.js';
import { Migration20261123203055 } from './Migration20261123203055.js';
import { Migration20261130034054 } from './Migration20261130034054.js';
import { Migration20261130034117 } from './Migration20261130034117.js';
import { Migration20261130034209 } from './Migration20261130034209.js';
import { Migration20261130034723 } from './Migration20261130034723.js';
import { Migration20261130043929 } from './Migration20261130043929.js';
import { Migration20261130061915 } from './Migration20261130061915.js';
import { Migration20261130070000 } from './Migration20261130070000.js';
import { Migration20261130120000 } from './Migration20261130120000.js';
import { Migration20261130130000 } from './Migration20261130130000.js';
import { Migration20261130170000 } from './Migration20261130170000.js';
import { Migration20261130180000 } from './Migration20261130180000.js';
import { Migration20261130200000 } from './Migration20261130200000.js';
import { Migration20261130230500 } from './Migration20261130230500.js';

/** Every migration, in order. Listed here so compiled and test runs load the same classes. */
export const MIGRATIONS = [
  { name: 'Migration20261123190136', class: Migration20261123190136 },
  { name: 'Migration20261123192258', class: Migration20261123192258 },
  { name: 'Migration20261123193108', class: Migration20261123193108 },
  { name: 'Migration20261123193225', class: Migration20261123193225 },
  { name: 'Migration20261123193226', class: Migration20261123193226 },
  { name: 'Migration20261123193355', class: Migration20261123193355 },
  { name: 'Migration20261123202500', class: Migration20261123202500 },
  { name: 'Migration20261123203055', class: Migration20261123203055 },
  { name: 'Migration20261130034054', class: Migration20261130034054 },
  { name: 'Migration20261130034117', class: Migration20261130034117 },
  { name: 'Migration20261130034209', class: Migration20261130034209 },
  { name: 'Migration20261130034723', class: Migration20261130034723 },
  { name: 'Migration20261130043929', class: Migration20261130043929 },
  { name: 'Migration20261130061915', class: Migration20261130061915 },
  { name: 'Migration20261130070000', class: Migration20261130070000 },
  { name: 'Migration20261130120000', class: Migration20261130120000 },
  { name: 'Migration20261130130000', class: Migration20261130130000 },
  { name: 'Migration20261130170000', class: Migration20261130170000 },
  { name: 'Migration20261130180000', class: Migration20261130180000 },
  { name: 'Migration20261130200000', class: Migration20261130200000 },
  { name: 'Migration20261130230500', class: Migration20261130230500 },
];
