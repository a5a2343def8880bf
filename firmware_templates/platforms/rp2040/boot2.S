/* RP2040 boot stage 2 (RP2040 datasheet 2.8.1.3 boot sequence, 4.10 SSI): the boot ROM copies these
 * 256 bytes to SRAM (0x20041f00), checks their CRC and runs them. We set the flash interface (the SSI)
 * up for execute-in-place with the plain serial read command 03h, which every SPI flash answers, then
 * enter the firmware through the vector table that follows in flash. Thumb-1 only (ARMv6-M), and no
 * reference outside these bytes: toolchain/boot2.py links it alone at its SRAM address. */
    .syntax unified
    .cpu cortex-m0plus
    .thumb

    .equ SSI_BASE, 0x18000000
    .equ SSI_CTRLR0, 0x00
    .equ SSI_CTRLR1, 0x04
    .equ SSI_SSIENR, 0x08
    .equ SSI_BAUDR, 0x14
    .equ SSI_SPI_CTRLR0, 0xF4
    /* CTRLR0: DFS_32 = 31 (32-bit data frames), TMOD = 3 (EEPROM read: send command and address, then
     * receive), SPI_FRF = 0 (standard one-bit SPI). */
    .equ CTRLR0_XIP_03H, (31 << 16) | (3 << 8)
    /* SPI_CTRLR0: XIP_CMD = 03h, INST_L = 2 (8-bit command), ADDR_L = 6 (24-bit address, in nibbles),
     * WAIT_CYCLES = 0 (03h has no dummy cycles), TRANS_TYPE = 0 (command and address one bit wide). */
    .equ SPI_CTRLR0_XIP_03H, (0x03 << 24) | (2 << 8) | (6 << 2)
    /* SCLK = clk_sys / 4: 33.25 MHz once the firmware runs clk_sys at 133 MHz, inside the 50 MHz an 03h
     * read allows on the Pico's W25Q16JV (the divider must be even). */
    .equ SSI_CLOCK_DIVIDER, 4
    .equ VECTOR_TABLE, 0x10000100
    .equ VTOR, 0xE000ED08

    .section .boot2, "ax"
    .global tc_boot2_entry
    .thumb_func
tc_boot2_entry:
    ldr r3, =SSI_BASE
    movs r0, #0
    str r0, [r3, #SSI_SSIENR]       /* the SSI takes configuration only while disabled */
    movs r0, #SSI_CLOCK_DIVIDER
    str r0, [r3, #SSI_BAUDR]
    ldr r0, =CTRLR0_XIP_03H
    str r0, [r3, #SSI_CTRLR0]
    movs r0, #0
    str r0, [r3, #SSI_CTRLR1]       /* NDF = 0: one data frame per XIP request */
    ldr r0, =SPI_CTRLR0_XIP_03H
    movs r1, #SSI_SPI_CTRLR0        /* beyond the 124-byte reach of STR's immediate offset */
    str r0, [r3, r1]
    movs r0, #1
    str r0, [r3, #SSI_SSIENR]       /* enabled: reads of 0x10000000.. now fetch from the flash */

    ldr r0, =VECTOR_TABLE
    ldr r1, =VTOR
    str r0, [r1]
    ldr r1, [r0, #0]                /* initial stack pointer */
    msr msp, r1
    ldr r1, [r0, #4]                /* reset handler (its Thumb bit set) */
    bx r1
    .ltorg
