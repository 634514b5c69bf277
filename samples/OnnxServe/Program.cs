// Classifies the MNIST test digits with the model the MNIST sample exported, on ONNX Runtime alone:
//   dotnet run --project samples/OnnxServe -c Release [-- model.onnx --data-dir DIR --count N]
return OnnxServe.ServeSample.Run(args);
