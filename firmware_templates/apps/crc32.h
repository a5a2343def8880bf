/* CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320): the same value as Python's zlib.crc32. */
#ifndef TINYCTL_CRC32_H
#define TINYCTL_CRC32_H

#include <stddef.h>
#include <stdint.h>

/* Continues crc over data: start with crc32_update(0, ...). */
uint32_t crc32_update(uint32_t crc, const void *data, size_t length);

#endif /* TINYCTL_CRC32_H */
