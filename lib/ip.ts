// IP validation and canonical form, used wherever an address crosses a boundary (decoded fields, lists,
// firewall commands). Anything that is not an IP is rejected here, long before it could reach a firewall.
import ipaddr from "ipaddr.js";

const MAX_IP_TEXT = 64; // longest IPv6 text with zone is far below this; bounds the work on hostile input

// Dotted-quad IPv4 with no leading zeros: by far the most common srcip, checked without a full parse.
const PLAIN_IPV4 = /^(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** Returns the canonical text of an IP (IPv4 dotted quad; IPv6 compressed, lower case; v4-mapped → v4), or null. */
export function canonicalIp(text: string | null | undefined): string | null {
  if (!text || text.length > MAX_IP_TEXT) return null;
  if (PLAIN_IPV4.test(text)) return text;
  const trimmed = text.trim();
  if (!ipaddr.isValid(trimmed)) return null;
  // ipaddr.isValid accepts legacy forms such as "10.1" or octal "010.0.0.1"; a log's srcip never means those.
  if (trimmed.includes(".") && !trimmed.includes(":") && !ipaddr.IPv4.isValidFourPartDecimal(trimmed)) return null;
  if (trimmed.includes("%")) return null; // zone ids never name a remote peer
  const parsed = ipaddr.parse(trimmed);
  if (parsed.kind() === "ipv6" && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) {
    return (parsed as ipaddr.IPv6).toIPv4Address().toString();
  }
  return parsed.toString();
}
