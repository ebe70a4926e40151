# escape=`
FROM mcr.microsoft.com/dotnet/sdk:8.0-windowsservercore-ltsc2022 AS build
WORKDIR C:\src
COPY *.sln .
COPY Tools\*.csproj Tools\
RUN dotnet restore
COPY . .
RUN dotnet publish Tools\Tools.csproj -c Release -o C:\out --no-restore

FROM mcr.microsoft.com/dotnet/runtime:8.0-nanoserver-ltsc2022
WORKDIR C:\app
COPY --from=build C:\out\ .
USER ContainerAdministrator
ENV DOTNET_gcServer=1
ENTRYPOINT ["dotnet", "Tools.dll"]
