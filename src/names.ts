// Names shared by every part of weft and by the manifests (see ARCHITECTURE.md).
export const WEFT_NAMESPACE = 'weft-system';
export const CONTROL_PLANE_SERVICE_ACCOUNT = 'weft-control-plane';
export const CA_SECRET_NAME = 'weft-ca';
export const CA_SERVICE = 'weft-ca';
export const CA_PORT = 15012;
/** The discovery stream (mTLS, HTTP/2); beside the CA's port on the same Service. */
export const DISCOVERY_PORT = 15010;
export const TOKEN_AUDIENCE = 'weft-ca';
export const DEFAULT_TRUST_DOMAIN = 'cluster.local';
/** The cluster's DNS domain (kubelet's --cluster-domain), for `<svc>.<ns>.svc.<domain>`. */
export const DEFAULT_CLUSTER_DOMAIN = 'cluster.local';
export const CSR_SIGNER_NAME = 'weft.dev/workload';
export const TRUST_BUNDLE_CONFIGMAP = 'weft-trust-bundle';
export const TRUST_BUNDLE_KEY = 'roots.pem';
