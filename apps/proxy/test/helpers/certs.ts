// Test certificates made at test time with the openssl CLI (EC P-256, one day): CAs, leaves signed by a
// CA with the SANs a test needs, and self-signed leaves. Nothing is checked in.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export class CertDir {
  readonly dir = mkdtempSync(join(tmpdir(), 'strait-certs-'));

  path(name: string): string {
    return join(this.dir, name);
  }

  pem(name: string): Buffer {
    return readFileSync(this.path(name));
  }

  private openssl(...args: string[]): void {
    execFileSync('openssl', args, { cwd: this.dir, stdio: 'pipe' });
  }

  private newKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

  /** A self-signed certificate `<name>.crt` / `<name>.key`; with `san`, a leaf (else a CA). */
  selfSigned(name: string, san?: string): this {
    this.openssl(
      'req',
      '-x509',
      ...this.newKey,
      '-days',
      '1',
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.crt`,
      '-subj',
      `/CN=${name}`,
      ...(san ? ['-addext', `subjectAltName=${san}`] : []),
    );
    return this;
  }

  /** `<name>.crt` / `<name>.key` signed by the CA `<signer>`, with these SANs (`DNS:a,URI:...`). */
  leaf(name: string, signer: string, san: string, usage: 'serverAuth' | 'clientAuth' = 'serverAuth'): this {
    this.openssl(
      'req',
      ...this.newKey,
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.csr`,
      '-subj',
      `/CN=${name}`,
    );
    writeFileSync(this.path(`${name}.ext`), `subjectAltName=${san}\nextendedKeyUsage=${usage}\n`);
    this.openssl(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      `${signer}.crt`,
      '-CAkey',
      `${signer}.key`,
      '-CAcreateserial',
      '-days',
      '1',
      '-out',
      `${name}.crt`,
      '-extfile',
      `${name}.ext`,
    );
    return this;
  }
}
