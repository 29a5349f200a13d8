// The app's original kubelet probes, carried from the injector (which points the
// kubelet at the sidecar's health port) to the sidecar (which runs them on
// localhost) in the WEFT_APP_PROBERS variable, keyed by /app-health/<container>/<kind>.

export const PROBERS_ENV = 'WEFT_APP_PROBERS';

export interface Prober {
  readonly httpGet?: {
    path?: string;
    port: number;
    scheme?: string;
    host?: string;
    httpHeaders?: { name: string; value: string }[];
  };
  readonly tcpSocket?: { port: number; host?: string };
}
export type Probers = Record<string, Prober>;
