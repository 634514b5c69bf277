using System;
using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace LitGen;

/// <summary>The address of a CPU tensor's data, for handing it to MPI without a copy.</summary>
internal static class TensorMemory
{
    /// <summary>The first byte of <paramref name="tensor"/>, which must be a contiguous CPU tensor.</summary>
    public static IntPtr Address(Tensor tensor)
    {
        if (tensor.device_type != DeviceType.CPU || !tensor.is_contiguous())
            throw new InvalidOperationException("MPI reads and writes contiguous CPU tensors only.");
        return DataPointer(tensor.Handle);
    }

    // libtorch's data_ptr(), as TorchSharp itself reads it.
    [DllImport("LibTorchSharp", EntryPoint = "THSTensor_data")]
    private static extern IntPtr DataPointer(IntPtr tensor);
}
