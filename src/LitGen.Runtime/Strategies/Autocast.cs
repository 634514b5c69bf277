using System;
using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace LitGen;

/// <summary>
/// libtorch's own autocast (PyTorch's <c>torch.autocast</c>), which TorchSharp 0.107 does not bind: while a scope is
/// open, every op on this thread runs on libtorch's autocast kernels (matmuls and convolutions in the lower precision,
/// reductions and losses in float32). The state is libtorch's thread-local one, so DataLoader workers are unaffected.
/// Entering and leaving follow <c>torch.autocast.__enter__/__exit__</c>: the previous state is restored, and the cast
/// cache is cleared when the outermost scope closes. The symbols are libtorch_cpu's exported C++ functions (present in
/// libtorch 2.x CPU and CUDA builds); a libtorch without them fails at the first scope with a message that says so.
/// </summary>
internal sealed class AutocastScope : IDisposable
{
    private readonly sbyte device;
    private readonly bool previousEnabled;
    private readonly sbyte previousDtype;
    private readonly bool previousCacheEnabled;
    private bool disposed;

    public AutocastScope(DeviceType deviceType, ScalarType dtype)
    {
        device = (sbyte)deviceType;
        try
        {
            previousCacheEnabled = Native.IsCacheEnabled();
            previousEnabled = Native.IsEnabled(device);
            previousDtype = Native.GetDtype(device);
            Native.SetEnabled(device, true);
            Native.SetDtype(device, (sbyte)dtype);
            Native.IncrementNesting();
            Native.SetCacheEnabled(true);
        }
        catch (EntryPointNotFoundException e)
        {
            throw new MisconfigurationException($"Mixed precision uses libtorch's autocast, and this libtorch does not export it ({e.Message}). " +
                "Use the libtorch that TorchSharp 0.107's backend packages ship, or a \"-true\" precision.");
        }
    }

    /// <summary>Whether autocast is on for <paramref name="deviceType"/> on this thread.</summary>
    public static bool IsEnabled(DeviceType deviceType) => Native.IsEnabled((sbyte)deviceType);

    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        if (Native.DecrementNesting() == 0) Native.ClearCache();
        Native.SetEnabled(device, previousEnabled);
        Native.SetDtype(device, previousDtype);
        Native.SetCacheEnabled(previousCacheEnabled);
    }

    // c10::DeviceType and c10::ScalarType are one-byte enums; bool is one byte: the C++ signatures map directly.
    private static class Native
    {
        private const string Library = "libtorch_cpu";

        [DllImport(Library, EntryPoint = "_ZN2at8autocast20set_autocast_enabledEN3c1010DeviceTypeEb")]
        public static extern void SetEnabled(sbyte device, [MarshalAs(UnmanagedType.U1)] bool enabled);

        [DllImport(Library, EntryPoint = "_ZN2at8autocast19is_autocast_enabledEN3c1010DeviceTypeE")]
        [return: MarshalAs(UnmanagedType.U1)]
        public static extern bool IsEnabled(sbyte device);

        [DllImport(Library, EntryPoint = "_ZN2at8autocast18set_autocast_dtypeEN3c1010DeviceTypeENS1_10ScalarTypeE")]
        public static extern void SetDtype(sbyte device, sbyte dtype);

        [DllImport(Library, EntryPoint = "_ZN2at8autocast18get_autocast_dtypeEN3c1010DeviceTypeE")]
        public static extern sbyte GetDtype(sbyte device);

        [DllImport(Library, EntryPoint = "_ZN2at8autocast17increment_nestingEv")]
        public static extern int IncrementNesting();

        [DllImport(Library, EntryPoint = "_ZN2at8autocast17decrement_nestingEv")]
        public static extern int DecrementNesting();

        [DllImport(Library, EntryPoint = "_ZN2at8autocast11clear_cacheEv")]
        public static extern void ClearCache();

        [DllImport(Library, EntryPoint = "_ZN2at8autocast25is_autocast_cache_enabledEv")]
        [return: MarshalAs(UnmanagedType.U1)]
        public static extern bool IsCacheEnabled();

        [DllImport(Library, EntryPoint = "_ZN2at8autocast26set_autocast_cache_enabledEb")]
        public static extern void SetCacheEnabled([MarshalAs(UnmanagedType.U1)] bool enabled);
    }
}
