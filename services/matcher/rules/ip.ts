// Addresses and networks for srcip/dstip conditions: the one implementation is lib/ip.ts.
export { ipv4Mask, ipv6Mask, networkContains, parseIp, parseIpv4, parseNetwork, type Network, type ParsedIp } from "../../../lib/ip.js";
